"""Static word lists the demo generator draws from: small real tables, no randomness here."""

from __future__ import annotations

# Province → city → districts. A small real sample: enough variety for region filters and
# reports, with municipalities written the way people enter them (北京市 / 北京市 / 朝阳区).
REGIONS: dict[str, dict[str, list[str]]] = {
    "北京市": {"北京市": ["朝阳区", "海淀区", "东城区", "西城区", "丰台区", "通州区"]},
    "上海市": {"上海市": ["浦东新区", "徐汇区", "静安区", "黄浦区", "闵行区", "嘉定区"]},
    "天津市": {"天津市": ["和平区", "南开区", "河西区", "滨海新区"]},
    "重庆市": {"重庆市": ["渝中区", "江北区", "南岸区", "沙坪坝区"]},
    "广东省": {
        "广州市": ["天河区", "越秀区", "海珠区", "番禺区", "白云区"],
        "深圳市": ["南山区", "福田区", "宝安区", "龙岗区", "罗湖区"],
        "东莞市": ["南城街道", "东城街道", "松山湖"],
        "佛山市": ["禅城区", "南海区", "顺德区"],
        "珠海市": ["香洲区", "金湾区", "斗门区"],
    },
    "浙江省": {
        "杭州市": ["西湖区", "上城区", "拱墅区", "滨江区", "余杭区"],
        "宁波市": ["海曙区", "鄞州区", "北仑区", "江北区"],
        "温州市": ["鹿城区", "龙湾区", "瓯海区"],
        "绍兴市": ["越城区", "柯桥区", "上虞区"],
    },
    "江苏省": {
        "南京市": ["玄武区", "秦淮区", "鼓楼区", "建邺区", "江宁区"],
        "苏州市": ["姑苏区", "工业园区", "吴中区", "相城区", "昆山市"],
        "无锡市": ["梁溪区", "滨湖区", "新吴区"],
        "常州市": ["天宁区", "钟楼区", "武进区"],
    },
    "山东省": {
        "济南市": ["历下区", "市中区", "槐荫区", "历城区"],
        "青岛市": ["市南区", "市北区", "黄岛区", "崂山区"],
        "烟台市": ["芝罘区", "莱山区", "福山区"],
    },
    "福建省": {
        "福州市": ["鼓楼区", "台江区", "仓山区"],
        "厦门市": ["思明区", "湖里区", "集美区", "海沧区"],
        "泉州市": ["鲤城区", "丰泽区", "晋江市"],
    },
    "湖北省": {
        "武汉市": ["江岸区", "江汉区", "武昌区", "洪山区", "汉阳区"],
        "宜昌市": ["西陵区", "伍家岗区", "夷陵区"],
    },
    "湖南省": {
        "长沙市": ["芙蓉区", "天心区", "岳麓区", "开福区", "雨花区"],
        "株洲市": ["天元区", "芦淞区", "荷塘区"],
    },
    "四川省": {
        "成都市": ["锦江区", "青羊区", "武侯区", "成华区", "高新区"],
        "绵阳市": ["涪城区", "游仙区"],
    },
    "河南省": {
        "郑州市": ["金水区", "中原区", "二七区", "郑东新区"],
        "洛阳市": ["西工区", "老城区", "洛龙区"],
    },
    "陕西省": {"西安市": ["雁塔区", "碑林区", "未央区", "莲湖区", "长安区"]},
    "安徽省": {"合肥市": ["蜀山区", "包河区", "庐阳区", "瑶海区"]},
    "辽宁省": {
        "沈阳市": ["和平区", "沈河区", "皇姑区"],
        "大连市": ["中山区", "西岗区", "甘井子区"],
    },
}

# Region weights: customers cluster where the two demo teams sell (华东 and 华南).
PROVINCE_WEIGHTS: dict[str, int] = {
    "上海市": 14, "浙江省": 14, "江苏省": 14, "广东省": 16, "北京市": 8, "山东省": 6,
    "福建省": 5, "湖北省": 4, "四川省": 4, "湖南省": 3, "河南省": 3, "天津市": 2,
    "重庆市": 2, "陕西省": 2, "安徽省": 2, "辽宁省": 1,
}  # fmt: skip

# Trade words by industry code: the middle of a company name (苏州和泰 + 精密机械 + 有限公司).
TRADES: dict[str, list[str]] = {
    "manufacturing": ["精密机械", "汽车零部件", "五金制品", "新材料", "模具", "自动化设备", "包装"],
    "retail": ["商贸", "连锁超市", "服饰", "家居用品", "母婴用品", "百货"],
    "it": ["网络科技", "信息技术", "软件", "智能科技", "数据科技", "云计算"],
    "finance": ["投资管理", "融资租赁", "资产管理", "保险代理"],
    "education": ["教育科技", "培训学校", "文化传播"],
    "healthcare": ["医疗器械", "生物科技", "医药", "健康管理"],
    "logistics": ["物流", "供应链", "国际货运", "仓储服务"],
    "construction": ["建设工程", "建材", "装饰工程", "房地产开发"],
    "food": ["食品", "餐饮管理", "农业发展", "饮品"],
    "other": ["环保科技", "能源", "咨询", "文化传媒", "光电"],
}
INDUSTRY_WEIGHTS: dict[str, int] = {
    "manufacturing": 20, "retail": 14, "it": 16, "finance": 6, "education": 7,
    "healthcare": 8, "logistics": 8, "construction": 8, "food": 8, "other": 5,
}  # fmt: skip
COMPANY_SUFFIXES = ["有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司", "商行"]

SOURCE_WEIGHTS: dict[str, int] = {
    "exhibition": 20, "online": 30, "referral": 20, "cold_call": 10, "inbound": 15, "other": 5,
}  # fmt: skip
INTENT_WEIGHTS: dict[str, int] = {"high": 20, "medium": 45, "low": 35}
STAGE_WEIGHTS: dict[str, int] = {"new": 55, "repeat": 30, "churn_risk": 15}
# Silent is not drawn: it follows from the follow-up history (no contact for 90 days).
LEVEL_WEIGHTS: dict[str, int] = {"potential": 50, "regular": 35, "high_value": 15}

DEMANDS = [
    "已确认预算，希望本季度上线",
    "需要定制方案，关注与现有ERP对接",
    "价格敏感，等待我方报价",
    "计划下季度集中采购",
    "试用中，反馈良好",
    "对售后服务响应时间有要求",
    "需要三家比价后决策",
    "老板亲自拍板，决策链短",
    "关注数据安全与私有化部署",
    "希望分期付款",
    "已有供应商，考虑替换",
    "需要现场演示",
    "年底预算释放，需尽快推进",
    "关注交付周期，要求一个月内到货",
]
# Tags that describe the relationship; 近期高活跃 and 沉睡客户 follow from the follow-ups.
TAGS = [
    "重点客户",
    "展会",
    "价格敏感",
    "老客户转介绍",
    "大客户",
    "待回访",
    "近期高活跃",
    "沉睡客户",
]
ACTIVE_TAG = "近期高活跃"
DORMANT_TAG = "沉睡客户"
EXHIBITION_TAG = "展会"

CONTACT_TITLES = ["总经理", "采购经理", "技术总监", "IT经理", "财务总监", "行政主管", "运营经理"]
# (title, role in the decision chain): the first contact is usually the decision maker.
DECISION_ROLES = ["decision_maker", "purchasing", "technical", "user_department", "other"]
# Mobile prefixes in service in mainland China: numbers phonenumbers accepts as valid.
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "173", "176", "177", "180", "181",
    "182", "183", "185", "186", "187", "188", "189", "198", "199",
]  # fmt: skip
EMAIL_DOMAINS = ["163.com", "126.com", "qq.com", "sina.com", "foxmail.com", "example.com"]

FOLLOWUP_CHANNEL_WEIGHTS: dict[str, int] = {
    "phone": 45, "wechat": 30, "visit": 12, "email": 10, "other": 3,
}  # fmt: skip
FOLLOWUP_CONTENTS = [
    "电话沟通需求，客户对产品功能表示认可",
    "发送产品介绍资料，客户表示会内部讨论",
    "上门拜访，演示了核心功能",
    "客户询问价格和付款方式，已发送报价单",
    "跟进试用情况，客户反馈操作简单",
    "客户提出定制需求，需技术评估",
    "微信沟通合同细节",
    "客户暂无采购计划，约定下月再联系",
    "邀请客户参加线下沙龙",
    "确认交付时间和培训安排",
    "回访使用情况，客户满意度较高",
    "客户反馈竞争对手报价更低",
]
FOLLOWUP_FEEDBACK = ["", "", "满意", "需要再考虑", "价格偏高", "希望尽快安排", "已转给采购部门"]
NEXT_STEPS = ["", "", "发送正式报价", "安排技术交流", "约见决策人", "寄送样品", "准备合同"]
TASK_TITLES = [
    "电话回访 %(customer)s",
    "给 %(customer)s 发送报价单",
    "约 %(customer)s 上门演示",
    "确认 %(customer)s 的合同条款",
    "跟进 %(customer)s 的试用反馈",
]
